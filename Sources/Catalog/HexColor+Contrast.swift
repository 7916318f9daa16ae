#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension HexColor {
    /// Relative luminance per WCAG 2.x: 0 for black, 1 for white.
    public var relativeLuminance: Double {
        let digits = Array(hex.dropFirst())
        func channel(_ index: Int) -> Double {
            let value = Double(Int(String(digits[index * 2...index * 2 + 1]), radix: 16) ?? 0) / 255
            return value <= 0.04045 ? value / 12.92 : pow((value + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
    }

    /// The WCAG 2.x contrast ratio of two colours, from 1 (same luminance) to 21 (black and white); order does not matter.
    ///
    /// ```swift
    /// HexColor.contrastRatio(HexColor("#000")!, HexColor("#FFF")!) // 21.0
    /// ```
    public static func contrastRatio(_ a: HexColor, _ b: HexColor) -> Double {
        let (x, y) = (a.relativeLuminance, b.relativeLuminance)
        return (max(x, y) + 0.05) / (min(x, y) + 0.05)
    }
}
