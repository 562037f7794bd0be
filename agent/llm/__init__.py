"""Chat models behind one interface (LangChain ``BaseChatModel``) plus structured output."""

from agent.llm.chat import CHAT_BACKENDS, get_chat_model
from agent.llm.structured import StructuredResult, bounded_schema, generate_structured
from agent.llm.usage import Usage, UsageLog, usage_log

__all__ = [
    "CHAT_BACKENDS",
    "StructuredResult",
    "Usage",
    "UsageLog",
    "bounded_schema",
    "generate_structured",
    "get_chat_model",
    "usage_log",
]
