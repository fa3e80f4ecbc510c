"""Models of the app, gathered from its sub-packages."""

from publications.bulletins.models import (  # noqa: F401
    BulletinIndexPage,
    BulletinIssuePage,
    BulletinPdf,
)
from publications.documents.models import (  # noqa: F401
    Document,
    DocumentAttachment,
    DocumentReceipt,
)
from publications.manuscripts.models import (  # noqa: F401
    Manuscript,
    ManuscriptAttachment,
    ManuscriptEvent,
    ManuscriptScore,
    ManuscriptScoreRule,
)
