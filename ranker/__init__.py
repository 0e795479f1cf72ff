"""LambdaMART ranking of the retrieved union (lands with its issue)."""
