"""lstm_ref: the vectorized NumPy reference for LSTM backpropagation through time."""

__version__ = "0.1.0"
