"""The modal's tabs: one descriptor per job kind, shown only when that kind is registered.

Paths, form fields and output keys are the spec's (000, sections 1-4); the browser builds
each tab's form and job list from these, so a service that lands gets its tab with no
template or script change.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.conf import settings

from audioservices.jobs import registry
from audioservices.jobs.errors import BOTH_FILES_REQUIRED, NO_AUDIO_FILE, NO_FILE
from audioservices.jobs.models import BoostLevel, JobStatus
from denoise.engine import ENGINE_NAMES

LEVELS = tuple(BoostLevel.values)
LEVELS_WITHOUT_NONE = tuple(v for v in LEVELS if v != BoostLevel.NONE)


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    type: str  # "file" or "choice"
    choices: tuple[str, ...] = ()
    default: str = ""
    default_setting: str = ""  # the default is this setting's value when the page is served


@dataclass(frozen=True)
class MediaField:
    key: str  # the URL's key in the status JSON
    label: str


@dataclass(frozen=True)
class Tab:
    kind: str  # the registry's JobKind.name; also the ws/processing/ event's "service"
    label: str
    upload_url: str
    list_url: str  # status and delete are <list_url><id>/status/ and <list_url><id>/delete/
    fields: tuple[FormField, ...]
    outputs: tuple[MediaField, ...]
    inputs: tuple[MediaField, ...] = (MediaField("original_url", "Original"),)
    filename_key: str = "filename"
    failed_status: str = JobStatus.FAILED
    missing_file_message: str = NO_AUDIO_FILE
    show_similarity: bool = False
    file_fields: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        files = tuple(f.name for f in self.fields if f.type == "file")
        object.__setattr__(self, "file_fields", files)


def _audio(name: str = "audio_file", label: str = "Audio file") -> FormField:
    return FormField(name, label, "file")


def _level(choices: tuple[str, ...], default: str) -> FormField:
    return FormField("boost_level", "Boost level", "choice", choices, default)


TABS = (
    Tab("denoise", "File denoise", "/api/denoise/upload/", "/api/denoise/files/",
        fields=(_audio(), FormField("model", "Engine", "choice", ENGINE_NAMES,
                                    default_setting="DENOISE_ENGINE"),
                _level(LEVELS, "none")),
        outputs=(MediaField("denoised_url", "Denoised"),)),
    Tab("vocal", "Vocal separation", "/api/vocal/separate/", "/api/vocal/files/",
        fields=(_audio(),),
        outputs=(MediaField("vocals_url", "Vocals"),
                 MediaField("instrumental_url", "Instrumental")),
        failed_status=JobStatus.ERROR, missing_file_message=NO_FILE),
    Tab("boost", "Audio boost", "/api/boost/upload/", "/api/boost/files/",
        fields=(_audio(), _level(LEVELS_WITHOUT_NONE, "3x")),
        outputs=(MediaField("boosted_url", "Boosted"),),
        missing_file_message=NO_FILE),
    Tab("speaker", "Speaker extraction", "/api/speaker/extract/", "/api/speaker/files/",
        fields=(_audio("conversation_file", "Conversation"),
                _audio("target_speaker_file", "Target speaker sample"),
                _level(LEVELS, "none")),
        outputs=(MediaField("extracted_url", "Extracted speaker"),),
        inputs=(MediaField("conversation_url", "Conversation"),
                MediaField("target_url", "Target sample")),
        filename_key="conversation_filename",
        missing_file_message=BOTH_FILES_REQUIRED,
        show_similarity=True),
)


def tabs_available() -> list[Tab]:
    registered = {kind.name for kind in registry.all_kinds()}
    return [tab for tab in TABS if tab.kind in registered]


def tabs_as_json() -> list[dict]:
    tabs = [asdict(tab) for tab in tabs_available()]
    for field_json in (f for tab in tabs for f in tab["fields"]):
        if field_json["default_setting"]:
            field_json["default"] = getattr(settings, field_json["default_setting"])
    return tabs
