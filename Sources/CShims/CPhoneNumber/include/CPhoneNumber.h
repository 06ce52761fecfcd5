#ifndef LEADSYNC_CPHONENUMBER_H
#define LEADSYNC_CPHONENUMBER_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Result codes of lsync_phone_to_e164.
enum {
    LSYNC_PHONE_OK = 0,
    LSYNC_PHONE_UNPARSABLE = 1,     ///< libphonenumber could not parse the text as a phone number
    LSYNC_PHONE_INVALID = 2,        ///< parsed, but not a valid number for its region
    LSYNC_PHONE_BUFFER_TOO_SMALL = 3
};

/// Parses `text` as a phone number dialled from `region` (ISO 3166 alpha-2, e.g. "FR") and writes its
/// E.164 form (e.g. "+33145678900") into `e164`, and its extension (possibly empty) into `extension`.
/// Thread-safe: libphonenumber's PhoneNumberUtil is an immutable singleton after first use.
int lsync_phone_to_e164(const char *text, const char *region,
                        char *e164, size_t e164_len,
                        char *extension, size_t extension_len);

#ifdef __cplusplus
}
#endif
#endif
