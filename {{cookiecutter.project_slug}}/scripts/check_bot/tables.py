"""What Rasa has built in, and the tables the rules use."""

from __future__ import annotations

# Intents, actions and slots every Rasa 2.x/3.x bot has without declaring them.
BUILTIN_INTENTS = {"restart", "back", "out_of_scope", "session_start", "nlu_fallback"}
BUILTIN_ACTIONS = {
    "action_listen",
    "action_restart",
    "action_session_start",
    "action_default_fallback",
    "action_deactivate_loop",
    "action_revert_fallback_events",
    "action_default_ask_affirmation",
    "action_default_ask_rephrase",
    "action_two_stage_fallback",
    "action_unlikely_intent",
    "action_back",
    "action_send_text",
    "action_extract_slots",
    "action_validate_slot_mappings",
    "...",  # the rule snippet action
}
BUILTIN_SLOTS = {
    "requested_slot",
    "session_started_metadata",
    "knowledge_base_listed_objects",
    "knowledge_base_last_object",
    "knowledge_base_last_object_type",
}
# Intents sent from outside (trigger_intent, reminders) need no NLU examples; Rasa's docs name them so.
EXTERNAL_INTENT_PREFIX = "EXTERNAL_"
# SDK base classes whose name() a custom action may inherit.
SDK_ACTION_NAMES = {
    "ActionQueryKnowledgeBase": "action_query_knowledge_base",
    "ValidationAction": "action_validate_slot_mappings",
}
# The walkthrough's smallest intent (goodbye) has four examples; fewer rarely generalises (advice).
MIN_EXAMPLES_PER_INTENT = 4
# Database images whose service an endpoint should use, by image name.
DATABASE_IMAGES = {"postgres", "redis", "mongo"}
# Training-data format version each Rasa major reads without a warning (the template's
# `_pins.rasa_lines.*.schema_version`; a test keeps the two equal).
FORMAT_VERSIONS = {"2": "2.0", "3": "3.1"}
# Pipeline components that need a Python package the default rasa/rasa image lacks:
# component name prefix -> (package, rasa/rasa tag suffixes that have it).
PIPELINE_EXTRAS = {
    "Spacy": ("spacy", ("-spacy-", "-full")),
    "Mitie": ("mitie", ("-mitie-", "-full")),
    "LanguageModel": ("transformers", ("-full",)),
    "HFTransformersNLP": ("transformers", ("-full",)),
    "ConveRT": ("tensorflow-text", ("-full",)),
    "Jieba": ("jieba", ("-full",)),
}
# Languages with an official spaCy image: language -> the model rasa/rasa:<version>-spacy-<language> ships.
SPACY_IMAGE_MODELS = {"en": "en_core_web_md", "de": "de_core_news_sm", "it": "it_core_news_md"}
DUCKLING_IMAGE = "rasa/duckling:0.2.0.2"
ISO_639_1 = set(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz "
    "ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik "
    "io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml "
    "mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd "
    "se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi "
    "vo wa wo xh yi yo za zh zu".split()
)
KUBERNETES_BASE = "deploy/kubernetes/base"  # kubernetes=yes: the Kustomize base of the cluster

# The keys each messenger channel of Rasa 3.6 reads from credentials.yml (rasa/core/channels/*.py).
CHANNEL_KEYS = {
    "telegram": {"access_token", "verify", "webhook_url"},
    "slack": {
        "slack_token",
        "slack_channel",
        "slack_signing_secret",
        "proxy",
        "use_threads",
        "conversation_granularity",
        "slack_retry_reason_header",
        "slack_retry_number_header",
        "errors_ignore_retry",
    },  # fmt: skip
    "facebook": {"verify", "secret", "page-access-token"},
    "twilio": {"account_sid", "auth_token", "twilio_number"},
    "botframework": {"app_id", "app_password"},
    "rocketchat": {"user", "password", "server_url"},
    "mattermost": {"url", "token", "webhook_url"},
}
# The keys the bot's scripts/secure_channels.py reads on top: without that file, nobody checks them.
SECURED_CHANNEL_KEYS = {
    "telegram": {"secret_token", "api_url"},
    "twilio": {"webhook_url"},
    "rocketchat": {"webhook_token"},
    "mattermost": {"webhook_token"},
    "botframework": {"tenant_id"},
}
