"""Running trained stages without a Keras backend (`numpy_tasks`, `graph`).

Imports nothing heavy: `signver_keras.runtime.numpy_tasks.load_stage` is the entry point.
"""
