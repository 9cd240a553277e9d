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
# Greetings and pleasantries ("good morning", "sorry") are listed too. A
# word whose stem is a stopword's stem ("helpful", "wanted") is also dropped.
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
    good morning afternoon evening great awesome sorry never mind whether
    say says said keep keeps today tomorrow yesterday
    monday tuesday wednesday thursday friday saturday sunday
    """.split()
)

# Each key is a word or phrase a teacher might use; its value replaces it in
# the token stream. Values use the canonical product words that the articles
# use, and some keep the original words too, so both spellings still count.
# Other vendors' products and equipment that the starter articles do not
# cover. Search weighs a product that no article names like a rare word, so a
# question about one ("breakout rooms in Google Meet") covers less of any
# article and is less likely to be answered with a Microsoft article. An
# article that names the product is matched as usual.
OTHER_PRODUCTS = (
    "zoom", "google meet", "google docs", "google doc", "google drive", "google slides", "google sheets",
    "seesaw", "kahoot", "canva", "brightspace", "photocopier", "copier", "printer", "projector",
    "smart board", "smartboard", "doc camera", "document camera",
)

SYNONYMS: dict[str, str] = {
    # OneNote Class Notebook
    "binder": "onenote notebook",
    "binders": "onenote notebook",
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
    "hand back": "return",
    "task": "assignment",
    "tasks": "assignment",
    "marking grid": "rubric",
    "marking guide": "rubric",
    "scoring guide": "rubric",
    "criteria": "rubric criteria",
    "give homework": "create assignment",
    "give an assignment": "create assignment",
    "give assignments": "create assignment",
    # Forms
    "graded automatically": "quiz automatic grade",
    "marks itself": "quiz automatic grade",
    "self marking": "quiz automatic grade",
    "self grading": "quiz automatic grade",
    "vocab check": "quiz",
    "pop quiz": "quiz",
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
    "video call": "meeting call",
    "teams call": "meeting call",
    "show my slides": "screenshare powerpoint",
    "show my desktop": "screenshare",
    "slides": "powerpoint slides",
    "slideshow": "powerpoint",
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
    "teams class": "class team",
    "teams classes": "class team",
    "hop into": "join",
    "hop in": "join",
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
    "toc": "substitute colleague",
    "tocs": "substitute colleague",
    "sub": "substitute colleague",
    "subs": "substitute colleague",
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
    # Everyday verbs teachers use for the product's actions
    "put": "add",
    "freeze": "lock",
    "send a link": "share link",
    "send link": "share link",
    # Other vendors' products and equipment, each made one word (see OTHER_PRODUCTS).
    **{product: product.replace(" ", "") for product in OTHER_PRODUCTS if " " in product},
}
