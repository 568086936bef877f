"""Training pipeline: MNIST IDX data -> Keras CNN -> exported artifacts (npz + manifest, TF.js, model card)."""
