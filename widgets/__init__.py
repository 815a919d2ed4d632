"""The widgets shipped with imgflow: one package per widget (declaration, compute, Qt panel).

Widgets join the core to the embedders, so this is where the loaders learn the
user's own choice about URL images from private addresses (their settings).
"""
from imgflow import user_settings as _user_settings
from imgflow.embedders import urls as _urls

_urls.set_user_policy(_user_settings.private_urls_allowed)
