"""Training recipes: `python -m recipes.train_<family> --config recipes/configs/<name>.yaml`."""
