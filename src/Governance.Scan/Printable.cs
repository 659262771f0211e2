using System.Text;

namespace Governance.Scan;

public static class Printable
{
    /// <summary>
    /// Text fit for a terminal or a one-line message: control characters (a file name or git's output may hold escape
    /// sequences or newlines) become '?', and at most <paramref name="max"/> characters are kept.
    /// </summary>
    public static string Of(string text, int max = int.MaxValue)
    {
        var builder = new StringBuilder(Math.Min(text.Length, max));
        foreach (var c in text.Length > max ? text[..max] : text)
            builder.Append(char.IsControl(c) ? '?' : c);
        return builder.ToString();
    }
}
