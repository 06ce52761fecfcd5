// A tiny extern "C" face over Google's libphonenumber, because Swift cannot call its C++ API directly here.
#include "CPhoneNumber.h"
#include <phonenumbers/phonenumberutil.h>
#include <phonenumbers/phonenumber.pb.h>
#include <cstring>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

static int copy_out(const std::string &value, char *out, size_t out_len) {
    if (value.size() + 1 > out_len) return LSYNC_PHONE_BUFFER_TOO_SMALL;
    std::memcpy(out, value.c_str(), value.size() + 1);
    return LSYNC_PHONE_OK;
}

extern "C" int lsync_phone_to_e164(const char *text, const char *region,
                                   char *e164, size_t e164_len,
                                   char *extension, size_t extension_len) {
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    if (util->Parse(std::string(text), std::string(region ? region : "ZZ"), &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
        return LSYNC_PHONE_UNPARSABLE;
    }
    if (!util->IsValidNumber(number)) return LSYNC_PHONE_INVALID;
    std::string formatted;
    util->Format(number, PhoneNumberUtil::E164, &formatted);
    int rc = copy_out(formatted, e164, e164_len);
    if (rc != LSYNC_PHONE_OK) return rc;
    return copy_out(number.has_extension() ? number.extension() : std::string(), extension, extension_len);
}
