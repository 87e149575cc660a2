"""The base of our pipeline steps that take no settings and learn nothing: Rasa's create() is just cls()."""

from __future__ import annotations

from typing import Any, Dict, Text, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

Self = TypeVar("Self", bound="StatelessComponent")


class StatelessComponent(GraphComponent):
    @classmethod
    def create(
        cls: type[Self],
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Self:
        return cls()
