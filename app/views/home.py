"""Home: what the playground teaches, a card per page (ready or not), the device and the corpora."""

import pandas as pd
import streamlit as st

from app.catalog import available_pages
from app.components.training import duration
from app.i18n import t
from app.models import device_description, manager
from core.views import home as view

st.title(t("NLP Playground"))
st.markdown(t("Train small NLP models **on demand** and see how they work. Every picture here comes from a model "
              "trained on this server, from text shipped with the app, and every number is measured."))

pages = available_pages()
ready = {row.view: row for row in view.readiness(manager(), [p.view for p in pages])}
columns = st.columns(3)
for index, info in enumerate(pages):
    with columns[index % 3].container(border=True, height="stretch"):
        st.page_link(info.path, label=t(info.title), icon=info.icon)
        st.caption(t(info.teaches))
        row = ready[info.view]
        if row.needed and row.ready:
            st.caption(t(":material/check_circle: ready: its models are trained"))
        elif row.needed:
            st.caption(t(":material/schedule: would train first: {time}", time=duration(row.seconds)))

st.subheader(t("Where it runs"))
st.write(t("Models train on **{device}**. Trained models are cached on disk and shared by everyone using this server, "
           "so the second visitor gets them instantly. `python -m core warm` trains every page's models before a "
           "lecture.", device=device_description()))

st.subheader(t("The text it learns from"))
columns = {"corpus": t("corpus"), "title": t("title"), "language": t("language"), "MB": "MB", "licence": t("licence"),
           "what for": t("what for")}
st.dataframe(pd.DataFrame(view.corpora()).rename(columns=columns), hide_index=True, width="stretch")
