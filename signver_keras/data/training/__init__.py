"""Training input pipelines: cached extractor inputs, batches, augmentation, synthetic mixes."""
