"""NLP Playground core: the algorithms, their training loops and measurements.

Plain Python over PyTorch and `transformers`; it never imports Streamlit, so every algorithm can
be used from a Python shell, a test or the command line (`python -m core`). Importing this
package is cheap: subpackages import torch only when they are used.
"""

__version__ = "0.1.0"
