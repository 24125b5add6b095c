"""The ``html`` format: tagged text as one page (writes only)."""

import html

from seqlab.data import DataFormat, spans


class HtmlFormat(DataFormat):
    """Tagged text as one self-contained HTML page (writes only): each
    sentence a paragraph, each entity a ``<mark>`` coloured by its type with
    the type after it, and a legend. No scripts, no external files.
    """

    PALETTE = ("#fbd38d", "#9ae6b4", "#90cdf4", "#fbb6ce", "#d6bcfa", "#feb2b2",
               "#b2f5ea", "#e2e8a0", "#cbd5e0", "#f6ad55")

    def write(self, stream, sentences, tags, scheme):
        found = [spans(sentence_tags, scheme) for sentence_tags in tags]
        kinds = sorted({kind for entities in found for kind, _, _ in entities})
        colours = {kind: self.PALETTE[i % len(self.PALETTE)] for i, kind in enumerate(kinds)}
        style = "".join(f"mark.ent[data-type=\"{html.escape(k)}\"]{{background:{c}}}"
                        for k, c in colours.items())
        stream.write(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>seqlab: tagged text</title><style>"
            "body{font:16px/1.9 system-ui,sans-serif;margin:2em;max-width:60em}"
            "mark.ent{padding:.1em .3em;border-radius:.3em;color:#1a202c}"
            "mark.ent .type{font-size:.65em;font-weight:700;margin-left:.4em;"
            "text-transform:uppercase;opacity:.75}"
            "p.sentence{margin:.3em 0;min-height:1.9em}ul.legend{list-style:none;padding:0}"
            "ul.legend li{display:inline-block;margin-right:1em}"
            f"{style}</style></head><body>\n")
        stream.write("<ul class=\"legend\">" + "".join(
            f"<li><mark class=\"ent\" data-type=\"{html.escape(k)}\">{html.escape(k)}</mark> "
            f"{sum(kind == k for entities in found for kind, _, _ in entities)}</li>"
            for k in kinds) + "</ul>\n")
        for sentence, entities in zip(sentences, found):
            starts = {start: (kind, end) for kind, start, end in entities}
            parts, i = [], 0
            tokens = sentence.tokens
            while i < len(tokens):
                if i in starts:
                    kind, end = starts[i]
                    words = html.escape(" ".join(tokens[i:end]))
                    parts.append(f"<mark class=\"ent\" data-type=\"{html.escape(kind)}\">"
                                 f"{words}<span class=\"type\">{html.escape(kind)}</span></mark>")
                    i = end
                else:
                    parts.append(html.escape(tokens[i]))
                    i += 1
            stream.write(f"<p class=\"sentence\">{' '.join(parts)}</p>\n")
        stream.write("</body></html>\n")
