"""The Streamlit app: thin pages over `core` (widgets in, one core call, a figure out)."""
