"""Home: what the playground teaches, a card per page, the device and the corpora."""

import streamlit as st

from app.cache import corpora_table, device_description
from app.catalog import available_pages

st.title("NLP Playground")
st.markdown(
    "Train small NLP models **on demand** and see how they work. Every picture here comes from a "
    "model trained on this server, from text shipped with the app, and every number is measured."
)

columns = st.columns(3)
for index, info in enumerate(available_pages()):
    with columns[index % 3].container(border=True, height="stretch"):
        st.page_link(info.path, label=info.title, icon=info.icon)
        st.caption(info.teaches)

st.subheader("Where it runs")
st.write(f"Models train on **{device_description()}**. Trained models are cached on disk and shared "
         "by everyone using this server, so the second visitor gets them instantly.")

st.subheader("The text it learns from")
st.dataframe(corpora_table(), hide_index=True, width="stretch")
