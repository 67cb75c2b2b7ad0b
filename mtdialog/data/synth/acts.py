"""Dialogue acts: the discourse relation each generated move takes to its head EDU.

The generator names the act of every EDU it writes (a yes-no question, an informative answer, a
promise, an image that proves a claim, ...); the act *is* the JDDC 2.1 leaf relation of that EDU to
its head, so the discourse annotation follows the dialogue's moves and a parser can learn it.
"""

from __future__ import annotations

YES_NO = "Question&Answer/Question/Yes-No"
SWIH = "Question&Answer/Question/SWIH"
CHOICE = "Question&Answer/Question/Choice"
AFFIRM = "Question&Answer/Answer/Affirmation"
DENY = "Question&Answer/Answer/Deny"
HOLD = "Question&Answer/Answer/Hold"
RECOMMEND = "Imperative/Suggestion/Recommend"
SUGGEST = "Imperative/Suggestion/Suggestion"
REQUEST = "Imperative/Suggestion/Request"
ACCEPT_SUGGESTION = "Imperative/Reply to suggestion/Acceptance"
REJECT_SUGGESTION = "Imperative/Reply to suggestion/Rejection"
PROMISE = "Promise/Promise/Promise"
ACCEPT_PROMISE = "Promise/Reply to promise/Acceptance"
REJECT_PROMISE = "Promise/Reply to promise/Rejection"
SOCIAL = "Communication/Social/Social"
SUSPEND = "Communication/Time/Suspend"
CORRECTION = "Communication/Expansion/Correction"
COMPLETION = "Communication/Expansion/Completion"
CONTACT = "Communication/Contact/Contact"
CONFIRM = "Communication/Contact/Confirm"
FEEDBACK = "Communication/Feedback/Feedback"
ELABORATION = "Contingency/Contingency/Elaboration"
SUMMARY = "Contingency/Contingency/Summary"
RESTATEMENT = "Contingency/Contingency/Restatement"
BACKGROUND = "Contingency/Contingency/Background"
EVALUATION = "Contingency/Contingency/Evaluation"
PROOF = "Contingency/Contingency/Proof"
CAUSE = "Contingency/Contingency/Cause"
CONDITION = "Contingency/Contingency/Condition"
CONCESSION = "Contingency/Contingency/Concession"
SOLUTION = "Contingency/Contingency/Solution"
PURPOSE = "Contingency/Contingency/Purpose"
COORDINATE = "Contingency/Contingency/Coordinate"

ALL_ACTS = (YES_NO, SWIH, CHOICE, AFFIRM, DENY, HOLD, RECOMMEND, SUGGEST, REQUEST, ACCEPT_SUGGESTION,
            REJECT_SUGGESTION, PROMISE, ACCEPT_PROMISE, REJECT_PROMISE, SOCIAL, SUSPEND, CORRECTION, COMPLETION,
            CONTACT, CONFIRM, FEEDBACK, ELABORATION, SUMMARY, RESTATEMENT, BACKGROUND, EVALUATION, PROOF, CAUSE,
            CONDITION, CONCESSION, SOLUTION, PURPOSE, COORDINATE)
