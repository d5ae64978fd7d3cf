"""Training data: extractor inputs, detector pages, cleaner tiles, batches, augmentation, mixes."""
