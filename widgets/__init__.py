"""The widgets shipped with imgflow: one package per widget (declaration, compute, Qt panel)."""
