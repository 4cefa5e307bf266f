"""The demos: each reproduces something the course teaches, with a plot, and proves that learning happened.

``python -m demos`` lists them; ``python -m demos NAME [--quick] [--seed S] [--out DIR]`` runs one (also
``python -m demos.NAME``). Each demo is one readable file whose training loop is written out.
"""

DEMOS = {
    "names": "a character-level LSTM invents first names (US census); bigram/trigram baselines; overfitting",
    "charlm": "the course's character-level Shakespeare model: truncated BPTT, clipping, sampling",
    "vanishing": "vanishing and exploding gradients: dL/da<t> against t for RNN, IRNN, GRU, LSTM; clipping",
    "agreement": "'the cat ... was' vs 'the cats ... were': accuracy against distance for RNN, GRU, LSTM",
    "adding": "the adding problem at T = 100: gated cells leave the 0.167 plateau, the plain RNN does not",
    "custom_layer": "write your own cell (a peephole LSTM), prove its gradients with hypothesis, train it",
    "dates": "translate human-readable dates to ISO with an encoder-decoder and attention; heatmaps",
    "sentiment": "'good, not bad' vs 'bad, not good': bag-of-words against an LSTM where word order matters",
    "ner": "'Teddy Roosevelt' vs 'Teddy bears': a unidirectional against a bidirectional LSTM tagger",
    "forecast": "forecasting a seasonal time series with GRU/LSTM against naive and seasonal-naive baselines",
    "music": "a character-level LSTM writes folk tunes in ABC notation; MIDI and a WAV you can play",
    "unrolled": "the unrolled graph of a 3-step RNN, and its per-step gradients by hand and by autograd",
}
