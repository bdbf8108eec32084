from rasa_sdk.knowledge_base.actions import ActionQueryKnowledgeBase
from rasa_sdk.knowledge_base.storage import InMemoryKnowledgeBase


class ActionMyKnowledgeBase(ActionQueryKnowledgeBase):
    """Answers from knowledge_base_data.json; its name() is the SDK's action_query_knowledge_base."""

    def __init__(self):
        super().__init__(InMemoryKnowledgeBase("knowledge_base_data.json"))
