"""The suite's test bed: what the suite runs against and how it is run, kept beside the product, not in it.

The reference gateway the suite runs against offline (a test double), the kill matrix of faults it must catch,
and running the suite in a subprocess (`suite_process`: one runner for the kill matrix and the self-tests, with
a fork server so that a run skips the interpreter start and the imports).
"""
