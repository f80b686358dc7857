"""The CLI verbs, grouped by stage; each module's ``register(sub)`` adds its parsers.

Handlers import the library lazily so ``affectvlm --help`` stays fast.
"""
