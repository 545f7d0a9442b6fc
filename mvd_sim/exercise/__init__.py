"""Fellows' exercises: cases with their answers sealed away, a pad-placement task, a score by
a stated rubric and a trainee's record (see the README's section for fellows)."""
