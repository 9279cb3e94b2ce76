"""The alt401k dashboard: a Solara page for comparing regulatory variants (issue #7).

`levers_ui` (UI settings <-> scenario changes <-> TOML) and `runner` (paired runs,
comparison tables, CSV) are plain Python and import no web framework; only `app` imports
Solara, which comes with the optional extra ``pip install .[dashboard]``. The model never
imports this package (app.py imports the model, never the reverse).
"""
