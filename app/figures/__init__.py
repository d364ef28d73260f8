"""Each page's own figures (plain data in, a Plotly figure out); shared ones are in app.components.charts."""
