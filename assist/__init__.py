"""The AI-assist seam: every path to the language model goes through here.

`policy.decide` says what the model may do for a user, a course and an optional assignment or
lesson (explain, hint only, nothing), which guard filters what it writes and which budget pays
for it; `prompts` builds every prompt with one escaper; `guards` and `budget` carry those
decisions out. Feature apps call in and pass what it needs, so assist imports none of them.
"""
