"""The base layer every other layer builds on: the holdings' layout (`base.assets`), plan
size classes, vintages and the glide path (`base.strata`), the compiled helpers
(`base.compiled`) and the keyed random draws (`base.draws`).

Imports run one way: base <- agents <- model <- experiments (ODD §2.7). Nothing here
imports from the other layers.
"""
