"""The widgets shipped with imgflow: one package per widget (declaration, compute, Qt panel).

Widgets join the core to the embedders, so this is where the loaders learn the
user's own choices: URL images from private addresses, and which object-storage
buckets may be read with their credentials (their settings).
"""
from imgflow import trusted_servers as _trusted_servers
from imgflow import user_settings as _user_settings
from imgflow.embedders import storage as _storage
from imgflow.embedders import urls as _urls

_urls.set_user_policy(_user_settings.private_urls_allowed)
_storage.set_policy(_trusted_servers.storage_refusal)
