"""Prompt templates loaded from `prompts/*.md` and filled strictly.

A template file holds the system message, a line `=== user ===`, then the user message.
Placeholders are `{name}`; literal braces are written `{{` and `}}`. Filling with a missing
variable raises PromptError naming it, and so does passing a variable the template does not use
(a sign the template and code drifted apart). Every template has a sha256 recorded with the
answers it produced, so evaluations can be tied to prompt versions.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from .errors import PromptError

# The repository's top-level prompts/ folder, installed as the package data `rag.prompt_files`
# (pyproject maps it), so a wheel carries the same files. Wheels are unpacked, so it is a real path.
PROMPTS_DIR = Path(str(files("rag.prompt_files")))
USER_MARK = "=== user ==="


@dataclass(frozen=True)
class Prompt:
    """A two-part (system, user) prompt template with its file hash."""

    name: str
    system: str
    user: str
    sha256: str

    @property
    def variables(self) -> set[str]:
        names = set()
        for part in (self.system, self.user):
            for _, field, _, _ in string.Formatter().parse(part):
                if field is not None:
                    if not field.isidentifier():
                        raise PromptError(f"prompt {self.name}: placeholder {{{field}}} is not a plain name")
                    names.add(field)
        return names

    def check(self, values: dict) -> None:
        """Raise PromptError unless `values` supplies exactly the template's placeholders."""
        missing = self.variables - set(values)
        if missing:
            raise PromptError(f"prompt {self.name}: no value for placeholder(s) {', '.join('{' + m + '}' for m in sorted(missing))}")
        extra = set(values) - self.variables
        if extra:
            raise PromptError(f"prompt {self.name}: template has no placeholder(s) {', '.join(sorted(extra))}")

    def messages(self, **values) -> list[tuple[str, str]]:
        """Filled (role, text) messages."""
        self.check(values)
        return [("system", self.system.format(**values)), ("human", self.user.format(**values))]

    def chat_template(self):
        """The same prompt as a LangChain ChatPromptTemplate (for LCEL chains)."""
        from langchain_core.prompts import ChatPromptTemplate

        return ChatPromptTemplate.from_messages([("system", self.system), ("human", self.user)])


@lru_cache(maxsize=32)
def _load(path: str, mtime: float) -> Prompt:
    raw = Path(path).read_text(encoding="utf-8")
    if USER_MARK not in raw:
        raise PromptError(f"{path}: missing the line {USER_MARK!r} between system and user parts")
    system, user = raw.split(USER_MARK, 1)
    prompt = Prompt(Path(path).stem, system.strip(), user.strip(), hashlib.sha256(raw.encode()).hexdigest())
    prompt.variables  # validates placeholder syntax
    return prompt


def load_prompt(name: str, folder: Path | None = None) -> Prompt:
    """Load `prompts/<name>.md` (re-read when the file changes)."""
    path = (folder or PROMPTS_DIR) / f"{name}.md"
    if not path.is_file():
        raise PromptError(f"prompt file {path} not found; reinstall the package or restore prompts/ from the repository")
    return _load(str(path), path.stat().st_mtime)


def prompt_hashes(folder: Path | None = None) -> dict[str, str]:
    """sha256 of every prompt file, by name."""
    folder = folder or PROMPTS_DIR
    return {p.stem: hashlib.sha256(p.read_bytes()).hexdigest()[:12] for p in sorted(folder.glob("*.md"))}
