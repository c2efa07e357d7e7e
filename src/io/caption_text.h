// Caption clean-up applied while records are built: HTML entity decoding (raw
// alt-text) and whitespace normalisation (raw and synthetic captions).
#pragma once

#include <string>
#include <string_view>

namespace capsfusion::io {

//! Appends `in` to `out` with every run of whitespace collapsed to one ASCII
//! space and leading/trailing whitespace dropped. Whitespace here is ASCII
//! space, every C0 control character (tab, newline, CR, ...), DEL, the C1
//! controls U+0080..U+009F, and the Unicode spaces U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029,
//! U+202F, U+205F, U+3000 and U+FEFF. `in` must be valid UTF-8.
void NormalizeWhitespace(std::string_view in, std::string* out);

//! Appends `in` to `out` with HTML character references decoded, in a single
//! pass: `&amp;quot;` becomes `&quot;`, not `"`. Decoded: the named references
//! &quot; &amp; &apos; &lt; &gt; &nbsp; (and a few more that are common in
//! alt-text: dashes, quotes, ellipsis, (c), (r), TM, degree, bullet, middot),
//! decimal `&#NNN;` and hex `&#xHH;` references (128..159 map through
//! Windows-1252 as HTML does). A reference needs its closing ';'; unknown names
//! and invalid code points (0, surrogates, > U+10FFFF) are kept as written.
void DecodeHtmlEntities(std::string_view in, std::string* out);

}  // namespace capsfusion::io
