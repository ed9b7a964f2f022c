//! Matrix multiplication: the one hot loop of the crate, delegated to `matrixmultiply`'s sgemm
//! and split across two threads when the product is large enough to pay for the spawn.

/// A read-only strided view of a matrix: element `(i, j)` is `data[i * row_stride + j * col_stride]`.
///
/// Strides let the caller multiply by a transpose without copying it.
#[derive(Clone, Copy)]
pub(crate) struct MatRef<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> MatRef<'a> {
    /// A row-major `rows × cols` matrix.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        MatRef {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose, as a view of the same memory.
    pub fn t(self) -> Self {
        MatRef {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }

    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
                < self.data.len()
    }
}

/// Below this many multiply-adds (about 0.3 ms of single-core work) a second thread costs more
/// than it saves on a shared 2-core machine: with 2^20 the batch-64 MLP step was 2.3× slower,
/// with 2^25 only the large products of batch 512 split (measured: see PERFORMANCE.md).
const PARALLEL_MIN_MULADDS: usize = 1 << 25;

/// `c ← a·b + beta·c` with `c` row-major `a.rows × b.cols`.
///
/// Callers check shapes and report errors; a mismatch here is a bug in this crate, hence the asserts.
pub(crate) fn gemm(a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: &mut [f32]) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(
        b.rows == k && c.len() == m * n && a.fits() && b.fits(),
        "gemm: inconsistent operands"
    );
    if m == 0 || n == 0 {
        return;
    }
    if m * k * n >= PARALLEL_MIN_MULADDS
        && std::thread::available_parallelism().map_or(1, |p| p.get()) > 1
    {
        if m >= n {
            let half = m / 2;
            let (c_top, c_bottom) = c.split_at_mut(half * n);
            let a_top = MatRef { rows: half, ..a };
            let a_bottom = MatRef {
                data: &a.data[half * a.row_stride..],
                rows: m - half,
                ..a
            };
            std::thread::scope(|s| {
                s.spawn(|| gemm_serial(a_bottom, b, beta, c_bottom, n));
                gemm_serial(a_top, b, beta, c_top, n);
            });
        } else {
            // Column halves of a row-major `c` interleave in memory, so each thread gets its own
            // buffer and the halves are written back; the copy is O(m·n), small next to O(m·k·n).
            let half = n / 2;
            let b_left = MatRef { cols: half, ..b };
            let b_right = MatRef {
                data: &b.data[half * b.col_stride..],
                cols: n - half,
                ..b
            };
            let mut left: Vec<f32> = Vec::new();
            let mut right: Vec<f32> = Vec::new();
            if beta != 0.0 {
                left.extend(c.chunks(n).flat_map(|row| &row[..half]));
                right.extend(c.chunks(n).flat_map(|row| &row[half..]));
            } else {
                left.resize(m * half, 0.0);
                right.resize(m * (n - half), 0.0);
            }
            std::thread::scope(|s| {
                s.spawn(|| gemm_serial(a, b_right, beta, &mut right, n - half));
                gemm_serial(a, b_left, beta, &mut left, half);
            });
            for ((row, l), r) in c
                .chunks_mut(n)
                .zip(left.chunks(half))
                .zip(right.chunks(n - half))
            {
                row[..half].copy_from_slice(l);
                row[half..].copy_from_slice(r);
            }
        }
    } else {
        gemm_serial(a, b, beta, c, n);
    }
}

fn gemm_serial(a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: &mut [f32], c_row_stride: usize) {
    debug_assert!(a.fits() && b.fits() && c.len() >= a.rows * c_row_stride);
    // SAFETY: `fits` checked that every strided index of `a` and `b` is inside its slice, and
    // `c` holds `a.rows` rows of `c_row_stride >= b.cols` elements; the three do not alias
    // because `c` is a unique borrow.
    unsafe {
        matrixmultiply::sgemm(
            a.rows,
            a.cols,
            b.cols,
            1.0,
            a.data.as_ptr(),
            a.row_stride as isize,
            a.col_stride as isize,
            b.data.as_ptr(),
            b.row_stride as isize,
            b.col_stride as isize,
            beta,
            c.as_mut_ptr(),
            c_row_stride as isize,
            1,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: MatRef<'_>, b: MatRef<'_>) -> Vec<f64> {
        let mut c = vec![0.0; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                for p in 0..a.cols {
                    c[i * b.cols + j] += f64::from(a.data[i * a.row_stride + p * a.col_stride])
                        * f64::from(b.data[p * b.row_stride + j * b.col_stride]);
                }
            }
        }
        c
    }

    fn filled(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) % 1000) as f32 / 500.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn serial_and_both_parallel_splits_match_naive_product() {
        // (m, k, n): small (serial), tall (row split), wide (column split); `b` is a transposed view.
        for &(m, k, n) in &[(3, 4, 5), (600, 256, 256), (256, 256, 600)] {
            let a_data = filled(m * k, 1);
            let b_data = filled(k * n, 2);
            let a = MatRef::row_major(&a_data, m, k);
            let bt_data: Vec<f32> = (0..n * k).map(|i| b_data[(i % k) * n + i / k]).collect();
            let b = MatRef::row_major(&bt_data, n, k).t();
            let want = naive(a, b);
            let mut c = vec![1.0; m * n];
            gemm(a, b, 0.5, &mut c);
            for (got, want) in c.iter().zip(&want) {
                assert!((f64::from(*got) - want - 0.5).abs() < 1e-3 * (1.0 + want.abs()));
            }
        }
    }
}
