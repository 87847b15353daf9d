from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as SKLEARN

from transforms.stop_words import ENGLISH_STOP_WORDS


def test_the_stop_words_are_scikit_learns():
    assert ENGLISH_STOP_WORDS == SKLEARN
