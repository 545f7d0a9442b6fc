"""Parametric anatomy builders: the brainstem surface, CN VII/VIII, vessel courses and their
clinical placement."""
