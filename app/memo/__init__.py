"""Results kept across sessions (`st.cache_data`), one module per page: what depends only on its
inputs and costs time.

Keys come from the arguments, and for a model from the job spec or the model actually loaded
(`.key` of a trained or loaded model): never a string a page makes up. Every cache has
`max_entries` (or a `ttl`), since users choose its keys.
"""
