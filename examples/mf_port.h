/*
 * mf_port.h - the example minifilter that talks to its user-mode service over a communication
 * port (mf_port.c): the wire protocol both sides share, and what the driver's callers (the
 * driver target, a test) may use. Driver code: WDK headers only.
 *
 * The protocol. The service connects to MFP_PORT_NAME with an MFP_CONNECT_CONTEXT (one
 * connection at a time). Each message it sends is an MFP_MESSAGE_HEADER followed by
 * PayloadLength bytes; the driver answers with a status and, for some commands, bytes in the
 * output buffer:
 *   MFP_CMD_SET_EXTENSIONS  payload: the file extensions to watch, a list of NUL-terminated
 *                           UTF-16 strings ended by an empty one (at most MFP_MAX_EXTENSIONS,
 *                           each 1 to MFP_MAX_EXTENSION_CHARS characters, no '.' or '\').
 *   MFP_CMD_GET_EXTENSIONS  no payload; output: the list in the same form.
 *   MFP_CMD_QUERY_VOLUME    payload: a ULONG volume slot; output: MFP_VOLUME_STATS and the
 *                           volume's name.
 *   MFP_CMD_NOTIFY          payload: a ULONG cookie; the driver sends the service an
 *                           MFP_NOTIFICATION and waits a while for an MFP_NOTIFY_REPLY; output:
 *                           MFP_NOTIFY_RESULT.
 *   MFP_CMD_QUEUE_SCAN      payload: a ULONG volume slot; a worker thread later counts a scan
 *                           of the volume and, when the service asked for it at connect time,
 *                           sends it an MFP_NOTIFICATION (no reply expected).
 * All multi-byte fields are little-endian; structures are packed by their natural alignment.
 */
#ifndef MF_PORT_H
#define MF_PORT_H

#include <fltKernel.h>

#define MFP_PORT_NAME L"\\KfMfPortExample"
#define MFP_PROTOCOL_VERSION 1u
#define MFP_MAX_VOLUMES 4
#define MFP_MAX_EXTENSIONS 8
#define MFP_MAX_EXTENSION_CHARS 15
#define MFP_MAX_PAYLOAD 512

typedef struct _MFP_CONNECT_CONTEXT {
    ULONG Version;                       /* MFP_PROTOCOL_VERSION */
    ULONG Flags;                         /* MFP_CONNECT_* */
} MFP_CONNECT_CONTEXT;
#define MFP_CONNECT_SCAN_NOTIFICATIONS 0x1u /* send a notification when a queued scan is done */

typedef struct _MFP_MESSAGE_HEADER {
    ULONG Command;                       /* MFP_CMD_* */
    ULONG PayloadLength;                 /* bytes after the header */
} MFP_MESSAGE_HEADER;

#define MFP_CMD_SET_EXTENSIONS 1u
#define MFP_CMD_GET_EXTENSIONS 2u
#define MFP_CMD_QUERY_VOLUME 3u
#define MFP_CMD_NOTIFY 4u
#define MFP_CMD_QUEUE_SCAN 5u

typedef struct _MFP_VOLUME_STATS {
    ULONG Opens;                         /* files opened on the volume */
    ULONG Matches;                       /* of those, with a watched extension */
    ULONG Scans;                         /* scans done (MFP_CMD_QUEUE_SCAN) */
    USHORT NameLength;                   /* bytes of Name */
    USHORT Reserved;
    WCHAR Name[1];                       /* the volume's name, not terminated */
} MFP_VOLUME_STATS;
#define MFP_VOLUME_STATS_FIXED FIELD_OFFSET(MFP_VOLUME_STATS, Name)

/* What the driver sends the service (FltSendMessage). */
typedef struct _MFP_NOTIFICATION {
    ULONG Kind;                          /* MFP_NOTIFY_* */
    ULONG Sequence;                      /* 1, 2, ... per load */
    ULONG Cookie;                        /* MFP_CMD_NOTIFY's cookie, or 0 */
    ULONG Slot;                          /* the volume slot of a scan, or MAXULONG */
} MFP_NOTIFICATION;
#define MFP_NOTIFY_ECHO 1u
#define MFP_NOTIFY_SCAN_DONE 2u

/* The service's reply to an MFP_NOTIFY_ECHO notification (FilterReplyMessage's payload). */
typedef struct _MFP_NOTIFY_REPLY {
    ULONG Cookie;                        /* the notification's cookie */
    ULONG Verdict;
} MFP_NOTIFY_REPLY;

typedef struct _MFP_NOTIFY_RESULT {
    LONG SendStatus;                     /* FltSendMessage's status */
    ULONG Verdict;                       /* the reply's verdict when a matching reply came, else 0 */
    ULONG ReplyLength;                   /* bytes of reply received */
} MFP_NOTIFY_RESULT;

DRIVER_INITIALIZE DriverEntry;
extern PFLT_FILTER MfpFilterHandle;

/* What the pre-create callback does for an open of FileName on Instance: counts it in the
 * instance's context, and as a match when its extension is watched. IRQL <= APC_LEVEL. */
VOID MfpFileOpened(PFLT_INSTANCE Instance, PCUNICODE_STRING FileName);

/* Totals since DriverEntry (kept after the unload). */
typedef struct _MFP_TOTALS {
    ULONG Opens;
    ULONG Matches;
    ULONG Messages;
    ULONG Notifications;                 /* notifications the service received */
} MFP_TOTALS;
VOID MfpQueryTotals(MFP_TOTALS *Totals);

#endif
