"""Code that runs in the sandbox's zygote and in the processes it forks.

This package imports only the standard library, numpy and torch, and nothing of `grader`
or `reference`: the zygote loads it by file path under a private name
(`_grader_sandbox_child`), so the process that later runs student code has none of the
grader's modules, rubrics or expected values in memory. The parent imports `codec` from
here as `grader.sandbox._child.codec`, the same code on both sides of the pipe.
"""
