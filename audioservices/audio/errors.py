class InvalidAudio(ValueError):
    """The file is not audio we accept, or its contents cannot be decoded.

    ``unsupported`` separates "this is not one of our formats" (HTTP 415) from "this is one of
    our formats but unusable" (too long, empty, corrupt: HTTP 400 or a failed job).
    """

    def __init__(self, message: str, *, unsupported: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.unsupported = unsupported


UNSUPPORTED_TYPE = "Unsupported file type. Please upload MP3, WAV, M4A, or FLAC files."
UNREADABLE = "The file could not be read as audio: it is empty, truncated or corrupt."
NO_AUDIO = "The file contains no audio samples."
TOO_MANY_CHANNELS = "Audio with more than {max} channels is not supported."
BAD_SAMPLE_RATE = "Sample rate {rate} Hz is outside the supported {low}-{high} Hz."
TOO_LONG = "Audio is {duration:.0f} s long; the limit is {limit:.0f} s."
NOT_FINITE = "The audio contains NaN or infinite samples."
TRUNCATED = "The file is truncated: its header declares more audio than the file holds."
