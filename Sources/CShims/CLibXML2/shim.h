// Debian's libxml2 is built with ICU, so encoding.h would pull in the system ICU headers, which clash with
// the copy Foundation embeds. leadsync never touches encoding handlers (the only ICU-dependent struct), so
// the ICU parts are left out of this view of the headers.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/xmlreader.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

/// Parser options leadsync uses for every document, in one place so they cannot drift:
/// no network, no entity substitution (XML_PARSE_NOENT), no DTD loading (XML_PARSE_DTDLOAD), no huge mode
/// (XML_PARSE_HUGE), CDATA read as text, warnings and errors not printed (they are collected instead).
static inline int lsync_xml_safe_options(void) {
    return XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_COMPACT;
}

/// Whether a DOCTYPE node declares general or parameter entities (the carriers of billion-laughs and XXE).
static inline int lsync_xml_dtd_declares_entities(xmlNodePtr node) {
    if (node == NULL || node->type != XML_DTD_NODE) return 0;
    xmlDtdPtr dtd = (xmlDtdPtr)node;
    return dtd->entities != NULL || dtd->pentities != NULL;
}
