"""Write docs/examples/seed.keras: the README's seed model, LSTM(128) on 100 features and a Dense(1) head.

KERAS_BACKEND=torch python docs/examples/make_seed.py
"""

from __future__ import annotations

from pathlib import Path

import keras

keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((None, 100)), keras.layers.LSTM(128), keras.layers.Dense(1)], name="seed")
model.save(Path(__file__).with_name("seed.keras"))
