"""Who asks for work: a user identity and a role, as the app establishes them (see app/identity).

`core` does not authenticate anybody; it is told who is asking and applies the rules: a student's
jobs are limited and budgeted, a lecturer's are not, and only a lecturer (or the host, meaning the
command line) may stop a job others wait for.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("student", "lecturer", "host")
PRIORITY = {"student": 0, "lecturer": 1, "host": 1}


@dataclass(frozen=True)
class User:
    id: str  # stable per person: "name@code", a proxy header's value, an OIDC subject
    role: str = "student"
    name: str = ""  # for display

    @property
    def privileged(self) -> bool:
        """Lecturers and the host may exceed a student's limits and stop anyone's jobs."""
        return self.role in ("lecturer", "host")

    @property
    def priority(self) -> int:
        return PRIORITY.get(self.role, 0)


HOST = User("host", "host", "the server")  # the command line, warm-up and tests
