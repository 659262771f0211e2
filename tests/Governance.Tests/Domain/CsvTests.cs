using Governance.Api.Dashboards;

namespace Governance.Tests.Domain;

/// <summary>The spend export's cells (RFC 4180 quoting; no cell a spreadsheet would run as a formula).</summary>
public sealed class CsvTests
{
    [Theory]
    [InlineData("billing", "billing")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\r\nlines", "\"two\r\nlines\"")]
    [InlineData("=1+2", "'=1+2")]
    [InlineData("+1", "'+1")]
    [InlineData("-1", "'-1")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tx", "'\tx")]
    [InlineData("=A1,B1", "\"'=A1,B1\"")]
    [InlineData("", "")]
    public void a_text_cell_is_quoted_when_rfc_4180_needs_it_and_never_starts_a_formula(string value, string cell) =>
        Assert.Equal(cell, Csv.Text(value));

    [Fact]
    public void numbers_are_written_as_given() => Assert.Equal("-0.5", Csv.Field("-0.5"));
}
