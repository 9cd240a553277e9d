"""Stopwords and synonyms for the classroom-technology vocabulary.

Both tables are written in plain words. The normaliser passes them through
the same lower-casing and stemming as articles and queries, so a key such as
"breakout rooms" also matches "break out room" after stemming.
"""

# Function words and helpdesk filler ("how do I", "please help") that carry
# no information about the topic, plus words nearly every teacher's question
# contains ("teacher", "classroom"). Words that carry meaning in product
# names stay out of this list: "one" (one note), "mine" (mine craft), "out"
# (break out, out loud) and "class" (class notebook, class team).
# "up" is listed so that "set up" and "setup" match the same articles.
STOPWORDS = frozenset(
    """
    a about above after again all also am an and any anyone anything are arent as at
    be been being but by can cannot cant could did didnt do does doesnt doing done dont
    each etc even ever every everyone for from get gets getting go going got had has
    have having he hello help her here hers hey hi him his how i id if im in into is
    isnt it its ive just know let lets like me might more most much must my myself
    need needs no not now of ok okay on onto or other our ours please really should
    so some someone something still stuff such than thank thanks that the their them
    then there these they thing things this those through to too trying try until up
    us very want wants was wasnt way we were what whats when where which while who
    why will with wont would yes yet you your youre
    teach teacher teachers teaching classroom classrooms
    """.split()
)

# Each key is a word or phrase a teacher might use; its value replaces it in
# the token stream. Values use the canonical product words that the articles
# use, and some keep the original words too, so both spellings still count.
SYNONYMS: dict[str, str] = {
    # OneNote Class Notebook
    "one note": "onenote",
    "class notebook": "classnotebook onenote",
    "class notebooks": "classnotebook onenote",
    # Assignments and grading
    "homework": "assignment",
    "hw": "assignment",
    "mark": "grade",
    "marks": "grade",
    "marking": "grade",
    "redo": "revision",
    "resubmit": "revision",
    "send back": "return",
    "give back": "return",
    # Forms
    "test": "quiz",
    "exam": "quiz",
    "forms quiz": "quiz forms",
    "ms forms": "forms",
    "microsoft forms": "forms",
    # micro:bit, Minecraft, coding
    "micro bit": "microbit",
    "micro bits": "microbit",
    "mine craft": "minecraft",
    "mee": "minecraft",
    "minecraft education edition": "minecraft",
    "minecraft edu": "minecraft",
    "make code": "makecode",
    # Immersive Reader, dictation
    "immersive reader": "immersivereader",
    "immersive reading": "immersivereader",
    "read aloud": "immersivereader read aloud",
    "read out loud": "immersivereader read aloud",
    "out loud": "aloud",
    "text to speech": "immersivereader read aloud",
    "tts": "immersivereader read aloud",
    "speech to text": "dictate",
    "voice typing": "dictate",
    "dictation": "dictate",
    # Flip
    "flipgrid": "flip",
    "flip grid": "flip",
    # Meetings
    "breakout rooms": "breakout room",
    "break out rooms": "breakout room",
    "breakout": "breakout room",
    "screen share": "screenshare",
    "share screen": "screenshare",
    "share my screen": "screenshare",
    "screen sharing": "screenshare",
    "screenshare": "screenshare",
    "present my screen": "screenshare",
    "show my screen": "screenshare",
    # Class teams
    "join code": "joincode",
    "class code": "joincode",
    "team code": "joincode",
    # Behaviour
    "rude": "misbehaving",
    "inappropriate": "misbehaving",
    "bully": "misbehaving",
    "bullying": "misbehaving",
    "misbehave": "misbehaving",
    "behaviour": "misbehaving",
    "behavior": "misbehaving",
    # People
    "kid": "student",
    "kids": "student",
    "pupil": "student",
    "pupils": "student",
    "learner": "student",
    "learners": "student",
    # Accounts, email and apps
    "log in": "signin",
    "login": "signin",
    "log on": "signin",
    "logon": "signin",
    "sign in": "signin",
    "signin": "signin",
    "e mail": "email",
    "mail": "email",
    "one drive": "onedrive",
    "power point": "powerpoint",
    "ppt": "powerpoint",
    "office 365": "office365",
    "o365": "office365",
    "m365": "office365",
    "microsoft 365": "office365",
    # Training
    "pd": "professional development",
    "dept": "department",
    "doc": "document",
    "docs": "document",
    "make": "create",
}
