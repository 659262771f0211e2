using System.Text;

namespace Governance.Api.Dashboards;

/// <summary>
/// CSV for spreadsheets (RFC 4180): CRLF between records; a field with a comma, a quote, CR or LF is quoted, its quotes
/// doubled. A text cell that a spreadsheet would run as a formula (it starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>,
/// a tab or CR) gets a leading apostrophe, so an app or model name chosen by a caller cannot become a formula in finance's
/// spreadsheet (OWASP, "CSV injection"). Numbers are written by the caller in the invariant culture and are not touched.
/// </summary>
public static class Csv
{
    public const string MediaType = "text/csv; charset=utf-8; header=present";

    public static string Text(string? value)
    {
        var text = value ?? "";
        if (text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
            text = "'" + text;
        return Field(text);
    }

    /// <summary>A field as it is (a number, a timestamp), quoted only if RFC 4180 needs it.</summary>
    public static string Field(string text) =>
        text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;

    public static void AppendRecord(StringBuilder csv, params string[] fields)
    {
        csv.AppendJoin(',', fields);
        csv.Append("\r\n");
    }
}
