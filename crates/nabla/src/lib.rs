//! nabla: exact symbolic partial derivatives.
