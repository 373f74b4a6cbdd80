import Kratos
