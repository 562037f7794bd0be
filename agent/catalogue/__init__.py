"""The domain vocabulary (names, definitions, cues, examples) as data, read in one place."""

from agent.catalogue.vocabulary import Reason, Vocabulary, vocabulary

__all__ = ["Reason", "Vocabulary", "vocabulary"]
